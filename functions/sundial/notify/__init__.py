"""Notifications: a task's run and task events, found in the tables' streams and delivered
to its destinations, off the executor's path.

Two hops, so a slow or broken destination holds up nothing else:

1. `notifier`: the runs and tasks tables' streams (filtered so only writes that can be
   events invoke it) become event documents, one message per (event, destination) on
   the notifications queue;
2. `deliverer`: each message is delivered (signed webhook POST, SNS, SQS or EventBridge),
   retried with backoff, and dead-lettered when its attempts run out.
"""
