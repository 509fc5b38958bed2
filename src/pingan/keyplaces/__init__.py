"""Key places on the ground (issue 21): school gate posts (护学岗) with their check-ins, hospital
police rooms with their shifts, inspections item by item with photos, and the rectification
orders a failed item opens (整改通知), followed like an instruction and escalated when late."""
