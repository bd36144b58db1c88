"""The building blocks of the p402 stack, one construct per part of the design."""
