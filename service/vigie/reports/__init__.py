"""Post-incident reports: facts from ClickHouse, drafts in the club's locale, versioned edits."""
