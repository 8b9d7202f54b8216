import sys

try:
    from .cli import main
except KeyboardInterrupt:                # Ctrl-C while starting up
    sys.exit(130)

sys.exit(main())
