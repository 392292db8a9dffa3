"""The one presentation layer: facts from `operations` in, everything the model reads out
(summary, per-reason explanations, next steps, notes), within the budgets of `budget.py`.
No MCP and no HTTP here, so every sentence is testable as a plain function."""
