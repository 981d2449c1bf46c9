"""What umot tells people: alert rules and channels, the weekly report, influence analysis.

Reports read the database only through ``storage``; settings arrive from ``umot`` as
arguments, so nothing here imports the application shell at run time.
"""
