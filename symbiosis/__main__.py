"""``python -m symbiosis``: the same command line as ``symbiosis``."""
from symbiosis.cli import main

if __name__ == "__main__":
    main()
