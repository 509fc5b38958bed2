"""Instructions (指令签收办理) and duty checklists (一张清单管任务)."""
