"""docker-tp-grader: grade students' Docker lab reports against YAML rubrics.

The pipeline: ``ingest`` (folder → Submission) → ``parse`` (→ Report, answers by
question id) → ``scoring`` (→ ScoreSheet) → views (terminal, JSON, HTML).
"""

__version__ = "0.1.0"
