"""What the study team reads: the funnel, a screening criterion by criterion, exports.

Read-only over the application database and the criteria; the console and the
command line (``python -m bot export``) present them.
"""
