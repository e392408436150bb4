"""Loaded by every aws CLI a test runs (the harness puts this folder on PYTHONPATH).

The CLI's waiters sleep 15 s between polls (`aws ecs wait services-stable`, `aws elbv2 wait
target-in-service`) and `aws cloudformation deploy` 30 s, so a test whose first poll comes a
moment early sleeps for most of that. Here no sleep of the CLI lasts more than a second: the
same calls and acceptors, polled every second (each CLI run is cut at 60 s by the harness, and
every waiter allows 40 attempts or more). Only `time` is touched: Debian's awscli carries its own
botocore and must be the first to import it.
"""
import time

_sleep = time.sleep
time.sleep = lambda seconds: _sleep(min(seconds, 1.0))
