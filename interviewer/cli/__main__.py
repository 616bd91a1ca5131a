"""`python -m interviewer.cli`: the command line without the full-screen UI."""

from interviewer.cli import main

main()
