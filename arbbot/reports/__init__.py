"""Reports over audited trades and bundles: terminal table, CSV/JSON export, a self-contained HTML file."""
