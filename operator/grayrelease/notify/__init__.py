"""Notifications: a release's Events, also POSTed to Slack-compatible webhooks.

An I/O layer beside ``inspect``: the controller hands it every Event it posts; ``payload``
decides (purely) what a notification says and who wants it, ``sender`` delivers it from a
bounded background thread so a slow or broken receiver never delays or breaks a reconcile.
Events stay the record; a notification is sent at most once and may be dropped.
"""
