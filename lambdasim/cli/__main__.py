"""``python -m lambdasim.cli``: the same as the ``lambdasim`` command."""

from lambdasim.cli import main

main()
