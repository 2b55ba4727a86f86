#!/usr/bin/env bash
# The demo collection's e-book and web page, written by pandoc 2.17 (Debian 12: apt-get install pandoc)
# from the Markdown beside this script. Run by hand after editing a source; the outputs are committed
# (users' machines have no pandoc), and workbench/demo/pdfs.py copies them into the demo collection.
set -euo pipefail
cd "$(dirname "$0")"
pandoc 02-late-interaction.md -s --metadata title="Late interaction in one page" --metadata lang=en \
  --epub-chapter-level=2 -o ../02-late-interaction.epub
pandoc 03-index-format.md -s --metadata pagetitle="The index on disk" -o ../03-index-format.html
