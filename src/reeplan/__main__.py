"""``python -m reeplan``: the same CLI as the ``reeplan`` command."""

from reeplan.cli import main

main()
