"""The XLSForm engine (issue: assessment forms). Pure Python; imports nothing of ours."""
