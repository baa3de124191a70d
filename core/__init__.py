"""What commands and the clock share: Slack's text grammar and limits, Block Kit pieces,
the wording said in more than one place, and meeting rules. Imports only `storage`."""
