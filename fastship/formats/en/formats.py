"""One way to write a time everywhere (admin, pages, mails): 7 Dec 2026, 14:05 UTC.

Django's English formats write "Dec. 7, 2026, 2:05 p.m." in the admin while
the pages wrote "7 Dec 2026, 14:05 UTC"; these replace the English ones.
"""

DATE_FORMAT = "j M Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j M Y, H:i T"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i T"
