"""`python -m katana_sn_mcp` behaves exactly like the `katana-sn-mcp` console script."""

from katana_sn_mcp.cli import main

if __name__ == "__main__":
    main()
