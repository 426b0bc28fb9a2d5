"""What a reporter does: submission, receipts, the visit after the receipt, the conversation."""
