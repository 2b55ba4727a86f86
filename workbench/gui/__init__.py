"""The desktop GUI (PySide6 + pyqtgraph). The only layer that imports Qt."""
