"""Log groups, the alarm topic, alarms and the dashboard."""
