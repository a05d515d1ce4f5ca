"""Command Center board: the city's live screen over the Data Center (Streamlit, read-only).

Decision makers watch revenue against target, health service load with early warnings, sector
statistics and how fresh and clean each dataset is. Every figure is an aggregate read from the
analyst warehouse (``board.queries``); the page itself is ``board/app.py`` and the local stack
starts it as the service ``board`` (``satudata.board_service``).
"""
