"""The staff timelines, shaped for drawing: a day's rooms and teams (`day`), and one leader's day (`leader`),
on a shared axis with the open clashes marked (`axis`).

Plain functions over querysets that return dataclasses; the admin views (`planning/admin_timeline.py`) only
parse the request, check access and render. Every function runs a fixed number of queries however many
rows the day holds: one per kind of bar and one for the open conflicts touching them.
"""
