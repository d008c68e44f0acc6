"""Every text a customer or staff member reads in chat, in one place.

Texts say what happened and what the person can do next. `{…}` fields are filled by the
caller; nothing here ever contains a secret or a raw platform id of another user."""

from __future__ import annotations

# Votes
VOTE_COUNTED = "✅ Your vote for {choice} is counted in “{question}”."
VOTE_CHANGED = "✅ Vote changed in “{question}”: {previous} → {choice}."
VOTE_UNCHANGED = "You already voted for {choice} in “{question}”; it is counted once."
VOTE_WITHDRAWN = "Your vote in “{question}” was withdrawn. Click an option to vote again."
CHOICES_SO_FAR = "You have chosen {count} of up to {max_choices}."
CHANGE_UNTIL = "You can change it until {closes}."
CHANGE_ANYTIME = "You can change it while the poll is open."
CHANGE_FORBIDDEN = "Votes in this poll are final."
DUPLICATE_DELIVERY = "That click was already counted; nothing changed."
STALE_CLICK = "A newer vote of yours is already recorded, so this older click was ignored."
RESULTS_AT_CLOSE = "Results are shown when the poll closes."

# Refusals: polite, private, and nothing is stored
UNKNOWN_POLL = (
    "Sorry, this button doesn't belong to a poll I know. It may be from an old message."
)
UNKNOWN_OPTION = "Sorry, that option isn't part of “{question}”. Pick one of: {options}."
POLL_CLOSED = "Sorry, voting on “{question}” has closed. {results_hint}"
POLL_NOT_YET_OPEN = "Voting on “{question}” opens {opens}. Please come back then!"
CHANGE_NOT_ALLOWED = (
    "Your vote for {current} in “{question}” is final in this poll, so it was not changed."
)
TOO_MANY_CHOICES = (
    "You can pick at most {max_choices} options in “{question}”. "
    "Remove one of your choices first."
)
EMPTY_SELECTION = "Pick at least one option."
DUPLICATE_CHOICE = "Each option can be chosen only once."

# Staff commands
NOT_STAFF = "Sorry, only the shop's staff can use {command}."
UNKNOWN_COMMAND = "Unknown command {command}. Try: {commands}."
COMMAND_USAGE = "Usage: {usage}"
POLL_OPENED = "Poll “{question}” ({poll_id}) is open now."
POLL_ALREADY_OPEN = "Poll {poll_id} is already open."
POLL_CLOSED_NOW = "Poll “{question}” ({poll_id}) is closed; results are being posted."
POLL_ALREADY_CLOSED = "Poll {poll_id} is already closed."
POLL_CANNOT_REOPEN = (
    "Poll {poll_id} is closed and its results were announced; closing is final. "
    "Copy it under a new id to run it again."
)
NO_SUCH_POLL = "There is no poll with id {poll_id!r}. Known polls: {known}."
NO_POLLS = "No polls are configured."

# Something broke on our side: say so, and say the vote did not count.
INTERNAL_ERROR = (
    "Sorry, something went wrong on our side and nothing was changed. Please try again."
)
