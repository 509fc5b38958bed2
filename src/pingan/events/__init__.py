"""Large-event security (赛事安保): plans, the live board during the event, the after-action
report."""
