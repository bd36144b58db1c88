"""Running p402 on one machine: the local server, the lake, the commands."""
