"""interviewer: an offline, agentic mock interviewer for LLM and generative-AI job interviews.

The core package: configuration, question packs, the knowledge store and retrieval, grading and the interview
agent. It never imports the terminal UI (tui/), so scripts and tests can use it headless.
"""

__version__ = "0.1.0"
