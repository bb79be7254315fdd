"""Live plots, figures and widget panels (display through PNGs and ipywidgets only)."""
from .figures import bar_chart, gradient_histogram, show
from .live import LivePlot, summary_table
from .memory import account_table, memory_bars
from .panels import FormatExplorer, PrecisionPanel, describe_html

__all__ = ["bar_chart", "gradient_histogram", "show", "LivePlot", "summary_table",
           "account_table", "memory_bars",
           "FormatExplorer", "PrecisionPanel", "describe_html"]
