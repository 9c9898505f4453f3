"""``python -m lambdasim``: the same as the ``lambdasim`` command."""

from lambdasim.cli import main

main()
