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
UNKNOWN_POLL = "Sorry, this button doesn't belong to a poll I know. It may be from an old message."
UNKNOWN_OPTION = "Sorry, that option isn't part of “{question}”. Pick one of: {options}."
POLL_CLOSED = "Sorry, voting on “{question}” has closed. {results_hint}"
POLL_NOT_YET_OPEN = "Voting on “{question}” opens {opens}. Please come back then!"
CHANGE_NOT_ALLOWED = (
    "Your vote for {current} in “{question}” is final in this poll, so it was not changed."
)
TOO_MANY_CHOICES = (
    "You can pick at most {choices} in “{question}”. Remove one of your choices first."
)
EMPTY_SELECTION = "Pick at least one option."
DUPLICATE_CHOICE = "Each option can be chosen only once."

# Staff commands
NOT_STAFF = "Sorry, only the shop's staff can {action}."
STAFF_ACTIONS = {
    "polls": "list polls",
    "results": "look up results",
    "open": "open polls",
    "close": "close polls",
}
UNKNOWN_COMMAND = "Unknown command {command}. Try: {commands}."
COMMAND_USAGE = "Usage: {usage}"
POLL_OPENED = "Poll “{question}” ({poll_id}) is open now."
POLL_ALREADY_OPEN = "Poll {poll_id} is already open."
POLL_CLOSED_NOW = "Poll “{question}” ({poll_id}) is closed; results are being posted."
POLL_ALREADY_CLOSED = "Poll {poll_id} is already closed."
POLL_CANCELLED = (
    "Poll “{question}” ({poll_id}) had not opened yet, so it is cancelled: "
    "nothing was posted and no results will be."
)
POLL_CANNOT_REOPEN = (
    "Poll {poll_id} is closed and its results were announced; closing is final. "
    "Copy it under a new id to run it again."
)
NO_SUCH_POLL = "There is no poll with id {poll_id!r}. Known polls: {known}."
NO_POLLS = "No polls are configured."
REMOVED_POLL = "(removed from the config) {poll_id}"

# Something broke on our side: say so, and say the vote did not count.
INTERNAL_ERROR = (
    "Sorry, something went wrong on our side and nothing was changed. Please try again."
)

# -- Slack (bot/adapters/slack) ---------------------------------------------------------
SLACK_VOTE_BUTTON = "Vote: {label}"
SLACK_PHOTO_IN_THREAD = "📷 photo in the thread"
SLACK_IMAGE_IN_THREAD = "📷 image in the thread"
SLACK_CHART_IN_THREAD = "📊 chart in the thread"
SLACK_UPLOAD_COMMENT = "📷 {titles}"
SLACK_REPLY_IN_THREAD = "💬 Reply in the thread: every answer counts."
SLACK_COMMAND_USAGE = (
    "Usage: `{command} list` · `{command} results POLL` · `{command} open POLL` · "
    "`{command} close POLL`"
)
SLACK_WORKING = "⏳ Working on it…"

# ---------------------------------------------------------------------------------------
# Results that decide: verdicts, run-offs, results posts (bot/polls/render.py, runoff.py)
# {p} is a probability already in words ("87%", "over 99%"); {margin} in points.
VERDICT_CLEAR_WINNER = (
    "Verdict: clear winner. {leader} is ahead of {runner_up} by {margin} points, "
    "and {p} likely to be the customers' real favourite."
)
VERDICT_LEANING = (
    "Verdict: leaning {leader}. It is ahead of {runner_up} by {margin} points and {p} "
    "likely to be truly preferred, short of the clear win your decision rule asks for."
)
VERDICT_TOO_CLOSE = (
    "Verdict: too close to call between {leader} and {runner_up} "
    "(only {p} likely that {leader} is truly preferred)."
)
VERDICT_TIED = "Verdict: too close to call: {tied} are tied."
VERDICT_NOT_ENOUGH = (
    "Verdict: not enough votes to decide: {voters} customer{s} voted and your decision "
    "rule asks for at least {min_votes}."
)
VERDICT_NO_VOTES = "Verdict: not enough votes to decide: nobody voted."
HEADLINE_WINS = "🏆 {label} wins with {share} of the votes."
HEADLINE_LEADS = "{label} leads with {share} of the votes."
HEADLINE_TIE = "It's a tie between {labels}."
HEADLINE_NO_VOTES = "No votes were cast."
HEADLINE_TOO_CLOSE = "{label} leads with {share} of the votes, but it is too close to call."
RESULTS_PARTICIPATION = "{votes} from {voters}"
RESULTS_BY_PLATFORM = "by platform: {platforms}"
RESULTS_PLATFORM_ENTRY = "{platform} {votes} ({voters})"
RESULTS_RUNOFF_OPEN = (
    "Run-off: {options} go head to head in a new poll ({poll_id}), open now. Vote again!"
)
RESULTS_IS_RUNOFF = "This was the run-off of poll {poll_id}."
RUNOFF_QUESTION = "Run-off: {question}"
RUNOFF_DESCRIPTION = (
    "It was too close to call between {options}. One more vote decides: pick your favourite."
)

# -- Console (bot/adapters/console) ------------------------------------------------------
CONSOLE_HELP = """\
Commands (you are {user}):
  NUMBER                          vote for that option in the poll shown last, e.g. 2
  /vote POLL OPTION [OPTION...]   vote in a poll; OPTION is a number, an id or a label
  /vote OPTION                    the same, in the poll shown last
  /as NAME                        act as another customer (or as the staff: merchant)
  /polls                          list the polls (staff)
  /results POLL                   a poll's results (staff)
  /open POLL                      open a poll now (staff)
  /close POLL                     close a poll now and post its results (staff)
  /help                           this list
  /quit                           stop the bot (or Ctrl-D)
Any other line is a chat message; after a daily question it counts as a reply."""
CONSOLE_UNKNOWN_COMMAND = "Unknown command /{command}."
CONSOLE_HOW_TO_VOTE = (
    "Vote: type a number from 1 to {count}, or /vote {poll} OPTION (a number, id or label)"
)
CONSOLE_TYPE_A_NUMBER = "Type a number from 1 to {count} (or /vote {poll} OPTION)."
CONSOLE_NO_POLL_YET = "No poll is shown yet; nothing to vote on."
CONSOLE_VOTE_USAGE = "Usage: /vote POLL OPTION [OPTION...] (OPTION: a number, an id or a label)"
# Shared replies reworded for a terminal, which has no buttons to click: (chat, console).
CONSOLE_WORDING = (
    ("Click an option to vote again.", "Type an option's number to vote again."),
    ("That click was already counted", "That vote was already counted"),
    ("this older click was ignored", "this older vote was ignored"),
    (
        "this button doesn't belong to a poll I know. It may be from an old message.",
        "that is not a poll I know. The poll id is shown in [brackets] on its card.",
    ),
)

# -- Discord (bot/adapters/discord) ------------------------------------------------------
DISCORD_VOTE_BUTTON = "Vote"
DISCORD_PRODUCT_LINK = "Product page"
DISCORD_STOPPING = (
    "The shop's bot is restarting and nothing was changed. Please click again in a minute."
)
# Slash command descriptions (at most 100 characters each)
DISCORD_CMD_GROUP = "The shop's product polls (staff only)"
DISCORD_CMD_LIST = "List the polls with their state and vote counts"
DISCORD_CMD_RESULTS = "Show a poll's current results"
DISCORD_CMD_OPEN = "Open a poll now and post it"
DISCORD_CMD_CLOSE = "Close a poll now and post its results"
DISCORD_CMD_POLL_ARG = "The poll id, as in the config (e.g. spring-helmets)"


def votes(count: int) -> str:
    return f"{count} vote" if count == 1 else f"{count} votes"


def customers(count: int) -> str:
    return f"{count} customer" if count == 1 else f"{count} customers"


def options(count: int) -> str:
    return f"{count} option" if count == 1 else f"{count} options"


# -- Discord: short product link, used when a poll's text would exceed Discord's limit ----
DISCORD_PRODUCT_LINK_SHORT = "View"


# -- Web dashboard and API (bot/web) -----------------------------------------------------
WEB_INTERNAL_ERROR = "Something went wrong on our side; the details are in the bot's log."
WEB_TOKEN_NEEDED = "Sign in first: send the header 'Authorization: Bearer <token>'."
WEB_BAD_TOKEN = "That token is not right."
WEB_BAD_CSRF = "This form has expired; reload the page and try again."
WEB_TOO_MANY_TRIES = "Too many wrong tokens; try again in {seconds} s."
WEB_NO_TOKEN_SET = (
    "This dashboard has no token: use the sign-in link the bot printed when it started "
    "(restart the bot for a new one), or set ENGAGEBOT_WEB_TOKEN."
)
WEB_LINK_USED = "That sign-in link was already used or has expired; restart the bot for a new one."
WEB_BAD_DAYS = "days must be a whole number from 1 to 366"
WEB_BAD_DATE = "{name} must be a date like 2026-03-01"
WEB_DATES_REVERSED = "since is after until"
WEB_SIGNED_OUT = "You are signed out."
WEB_ACTION_UNKNOWN = "Unknown action: use open or close."
WEB_GREETING = "Dashboard: {url}"
WEB_GREETING_LINK = "Dashboard: {url} — sign in once with {link}"
WEB_CANNOT_LISTEN = (
    "Dashboard not started: cannot listen on {host}:{port} ({reason}); "
    "choose another port under web: in the config"
)
