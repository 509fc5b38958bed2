"""Instructions (指令签收办理): issue, sign, handle, report back, accept; escalation notices and
attachments."""
