"""The one date format of every page (issue 8): ISO dates, 24-hour times, in the user's
time zone. Templates write ``{{ value|date }}`` for a date and
``{{ value|date:"DATETIME_FORMAT" }}`` for a moment; a plain ``{{ value }}`` renders the
same way. tests/test_formats.py keeps literal formats out of the templates."""

DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
TIME_FORMAT = "H:i"
DATE_INPUT_FORMATS = ["%Y-%m-%d"]
DATETIME_INPUT_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"]
