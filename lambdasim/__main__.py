"""``python -m lambdasim``: the same as the ``lambdasim`` command."""

from lambdasim._entry import main

main()
