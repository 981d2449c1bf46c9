"""Weekly reports, alert rules and channels, UMOT -> ZMOT influence analysis.

Arrives with issues 5 and 6; nothing here yet.
"""
