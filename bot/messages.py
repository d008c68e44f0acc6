"""Every text a customer or staff member reads in chat, in one place.

Texts say what happened and what the person can do next. `{…}` fields are filled by the
caller; nothing here ever contains a secret or a raw platform id of another user.

Each entry is marked N_ (P_ with plural forms) and translated when it is formatted, into
the active locale (see bot/i18n.py; catalogs in bot/locale, `make i18n` updates them):
write `messages.X.format(...)`, with no fields for a text without any."""

from __future__ import annotations

from bot.i18n import C_, N_, P_

# Votes
VOTE_COUNTED = N_("✅ Your vote for {choice} is counted in “{question}”.")
VOTE_CHANGED = N_("✅ Vote changed in “{question}”: {previous} → {choice}.")
VOTE_UNCHANGED = N_("You already voted for {choice} in “{question}”; it is counted once.")
VOTE_WITHDRAWN = N_("Your vote in “{question}” was withdrawn. Click an option to vote again.")
CHOICES_SO_FAR = N_("You have chosen {count} of up to {max_choices}.")
CHANGE_UNTIL = N_("You can change it until {closes}.")
CHANGE_ANYTIME = N_("You can change it while the poll is open.")
CHANGE_FORBIDDEN = N_("Votes in this poll are final.")
DUPLICATE_DELIVERY = N_("That click was already counted; nothing changed.")
STALE_CLICK = N_("A newer vote of yours is already recorded, so this older click was ignored.")
RESULTS_AT_CLOSE = N_("Results are shown when the poll closes.")

# Refusals: polite, private, and nothing is stored
UNKNOWN_POLL = N_(
    "Sorry, this button doesn't belong to a poll I know. It may be from an old message."
)
UNKNOWN_OPTION = N_("Sorry, that option isn't part of “{question}”. Pick one of: {options}.")
POLL_CLOSED = N_("Sorry, voting on “{question}” has closed. The results are posted in the channel.")
POLL_NOT_YET_OPEN = N_("Voting on “{question}” opens on {opens}. Please come back then!")
POLL_OPENS_SOON = N_("Voting on “{question}” opens soon. Please come back then!")
CHANGE_NOT_ALLOWED = N_(
    "Your vote for {current} in “{question}” is final in this poll, so it was not changed."
)
TOO_MANY_CHOICES = N_(
    "You can pick at most {choices} in “{question}”. Remove one of your choices first."
)
EMPTY_SELECTION = N_("Pick at least one option.")
DUPLICATE_CHOICE = N_("Each option can be chosen only once.")

# Staff commands
NOT_STAFF = N_("Sorry, only the shop's staff can {action}.")
STAFF_ACTIONS = {
    "polls": N_("list polls"),
    "results": N_("look up results"),
    "open": N_("open polls"),
    "close": N_("close polls"),
}
UNKNOWN_COMMAND = N_("Unknown command {command}. Try: {commands}.")
COMMAND_USAGE = N_("Usage: {usage}")
POLL_OPENED = N_("Poll “{question}” ({poll_id}) is open now.")
POLL_ALREADY_OPEN = N_("Poll {poll_id} is already open.")
POLL_CLOSED_NOW = N_("Poll “{question}” ({poll_id}) is closed; results are being posted.")
POLL_ALREADY_CLOSED = N_("Poll {poll_id} is already closed.")
POLL_CANCELLED = N_(
    "Poll “{question}” ({poll_id}) had not opened yet, so it is cancelled: "
    "nothing was posted and no results will be."
)
POLL_CANNOT_REOPEN = N_(
    "Poll {poll_id} is closed and its results were announced; closing is final. "
    "Copy it under a new id to run it again."
)
NO_SUCH_POLL = N_("There is no poll with id {poll_id!r}. Known polls: {known}.")
NO_POLLS = N_("No polls are configured.")
NO_POLLS_KNOWN = N_("none")
POLL_STATES = {
    "scheduled": N_("scheduled"),
    "open": N_("open"),
    "closed": N_("closed"),
}
POLL_LINE = N_("{poll_id}: {question} [{state}{when}] {votes}")
POLL_LINE_CLOSED = N_(", closed {when}")
POLL_LINE_CLOSES = N_(", closes {when}")
RESULTS_LEADING = N_("← leading")
REMOVED_POLL = N_("(removed from the config) {poll_id}")

# Something broke on our side: say so, and say the vote did not count.
INTERNAL_ERROR = N_(
    "Sorry, something went wrong on our side and nothing was changed. Please try again."
)
# The database could not be reached or lost the connection mid-vote: never a false "counted".
VOTE_NOT_RECORDED = N_("Sorry, we could not record your vote just now. Please try again.")

# -- Poll cards, everywhere (bot/polls/render.py) ------------------------------------------
# A date and time in the store's zone; {date} and {time} are already in the locale's form.
DATE_TIME = N_("{date} {time} {zone}")
FOOTER_PICK_ONE = N_("Pick one")
FOOTER_PICK_UP_TO = N_("Pick up to {max_choices}")
FOOTER_CLOSED = N_("Voting closed · final results · {voters}")
FOOTER_NOT_OPEN = N_("{how} · voting has not opened yet")
FOOTER_CLOSES = N_("closes {when}")
FOOTER_RESULTS_AT_CLOSE = N_("results shown at close")
# A tally on one card: "12 votes · 37%"
CARD_TALLY = N_("{votes} · {share}")

# -- Charts (bot/polls/chart.py) ---------------------------------------------------------
CHART_FOOTER = N_("{votes} · {customers} · {verdict}")
CHART_VERDICTS = {
    "clear_winner": N_("clear winner"),
    "leaning": N_("leaning"),
    "too_close": N_("too close to call"),
    "not_enough_votes": N_("not enough votes"),
}
CHART_VOTES = N_("votes")
CHART_REPLIES = N_("replies")
CHART_PARTICIPANTS = N_("participants")

# -- Console platform (bot/adapters/console) ----------------------------------------------
CONSOLE_WELCOME = N_("engagebot console — you are {user}. Type /help for commands.")
CONSOLE_PRIVATE = N_("(only {user} sees this)")
CONSOLE_YOU_ARE = N_("(you are now {user})")
CONSOLE_AS_USAGE = N_("Usage: /as NAME")
CONSOLE_IMAGE = N_("image: {image}")
CONSOLE_LINK = N_("link: {link}")
CONSOLE_CHART = N_("chart: {image}")
CONSOLE_TALLY = N_("tally:")
CONSOLE_FINAL_TALLY = N_("voting closed, final tally:")
CONSOLE_REPLIES_IN_THREAD = N_("(replies go to the thread “{thread}”: just type a message)")
CONSOLE_REPLIES_IN_CHANNEL = N_("(replies go to the channel: just type a message)")

# -- Slack (bot/adapters/slack) ---------------------------------------------------------
SLACK_VOTE_BUTTON = N_("Vote: {label}")
SLACK_PHOTO_IN_THREAD = N_("📷 photo in the thread")
SLACK_IMAGE_IN_THREAD = N_("📷 image in the thread")
SLACK_CHART_IN_THREAD = N_("📊 chart in the thread")
SLACK_UPLOAD_COMMENT = N_("📷 {titles}")
SLACK_REPLY_IN_THREAD = N_("💬 Reply in the thread: every answer counts.")
SLACK_COMMAND_USAGE = N_(
    "Usage: `{command} list` · `{command} results POLL` · `{command} open POLL` · "
    "`{command} close POLL`"
)
SLACK_WORKING = N_("⏳ Working on it…")
SLACK_PRODUCT_LINK = N_("View product")
SLACK_POLL = N_("📊 Poll: {title} — {options}")
SLACK_POLL_CLOSED = N_("📊 Poll closed: {title} — {options}")

# ---------------------------------------------------------------------------------------
# Results that decide: verdicts, run-offs, results posts (bot/polls/render.py, runoff.py)
# {p} is a probability already in words ("87%", "over 99%"); {margin} in points.
VERDICT_CLEAR_WINNER = N_(
    "Verdict: clear winner. {leader} is ahead of {runner_up} by {margin} points, "
    "and {p} likely to be the customers' real favourite."
)
VERDICT_LEANING = N_(
    "Verdict: leaning {leader}. It is ahead of {runner_up} by {margin} points and {p} "
    "likely to be truly preferred, short of the clear win your decision rule asks for."
)
VERDICT_TOO_CLOSE = N_(
    "Verdict: too close to call between {leader} and {runner_up} "
    "(only {p} likely that {leader} is truly preferred)."
)
VERDICT_TIED = N_("Verdict: too close to call: {tied} are tied.")
VERDICT_NOT_ENOUGH = P_(
    "Verdict: not enough votes to decide: {count} customer voted and your decision "
    "rule asks for at least {min_votes}.",
    "Verdict: not enough votes to decide: {count} customers voted and your decision "
    "rule asks for at least {min_votes}.",
)
VERDICT_NO_VOTES = N_("Verdict: not enough votes to decide: nobody voted.")
HEADLINE_WINS = N_("🏆 {label} wins with {share} of the votes.")
HEADLINE_LEADS = N_("{label} leads with {share} of the votes.")
HEADLINE_TIE = N_("It's a tie between {labels}.")
HEADLINE_NO_VOTES = N_("No votes were cast.")
HEADLINE_TOO_CLOSE = N_("{label} leads with {share} of the votes, but it is too close to call.")
RESULTS_TITLE = N_("Results: {question}")
# "A and B", "A, B and C" (the list separator ", " is kept in every language)
AND_LIST = N_("{items} and {last}")
# A probability near certain: never "100%" for something merely likely.
P_OVER = N_("over {percent}")
P_UNDER = N_("under {percent}")
RESULTS_PARTICIPATION = N_("{votes} from {voters}")
RESULTS_BY_PLATFORM = N_("by platform: {platforms}")
RESULTS_PLATFORM_ENTRY = N_("{platform} {votes} ({voters})")
RESULTS_RUNOFF_OPEN = N_(
    "Run-off: {options} go head to head in a new poll ({poll_id}), open now. Vote again!"
)
RESULTS_IS_RUNOFF = N_("This was the run-off of poll {poll_id}.")
RUNOFF_QUESTION = N_("Run-off: {question}")
RUNOFF_DESCRIPTION = N_(
    "It was too close to call between {options}. One more vote decides: pick your favourite."
)

# -- Console (bot/adapters/console) ------------------------------------------------------
CONSOLE_HELP = N_(
    "Commands (you are {user}):\n"
    "  NUMBER                          vote for that option in the poll shown last, e.g. 2\n"
    "  /vote POLL OPTION [OPTION...]   vote in a poll; OPTION is a number, an id or a label\n"
    "  /vote OPTION                    the same, in the poll shown last\n"
    "  /as NAME                        act as another customer (or as the staff: merchant)\n"
    "  /polls                          list the polls (staff)\n"
    "  /results POLL                   a poll's results (staff)\n"
    "  /open POLL                      open a poll now (staff)\n"
    "  /close POLL                     close a poll now and post its results (staff)\n"
    "  /help                           this list\n"
    "  /quit                           stop the bot (or Ctrl-D)\n"
    "Any other line is a chat message; after a daily question it counts as a reply."
)
CONSOLE_UNKNOWN_COMMAND = N_("Unknown command /{command}.")
CONSOLE_HOW_TO_VOTE = N_(
    "Vote: type a number from 1 to {count}, or /vote {poll} OPTION (a number, id or label)"
)
CONSOLE_CARD_HINT = N_("type {number} or /vote {poll} {option}")
CONSOLE_TYPE_A_NUMBER = N_("Type a number from 1 to {count} (or /vote {poll} OPTION).")
CONSOLE_NO_POLL_YET = N_("No poll is shown yet; nothing to vote on.")
CONSOLE_VOTE_USAGE = N_("Usage: /vote POLL OPTION [OPTION...] (OPTION: a number, an id or a label)")
# Shared replies reworded for a terminal, which has no buttons to click: (chat, console).
# Each chat side is a piece of a catalog text, and must stay one in every language.
CONSOLE_WORDING = (
    (N_("Click an option to vote again."), N_("Type an option's number to vote again.")),
    (N_("That click was already counted"), N_("That vote was already counted")),
    (N_("this older click was ignored"), N_("this older vote was ignored")),
    (
        N_("this button doesn't belong to a poll I know. It may be from an old message."),
        N_("that is not a poll I know. The poll id is shown in [brackets] on its card."),
    ),
)

# -- Discord (bot/adapters/discord) ------------------------------------------------------
DISCORD_VOTE_BUTTON = N_("Vote")
# A tally on one card, the count in bold: "**12** votes · 37%"
DISCORD_CARD_TALLY = P_("**{count}** vote · {share}", "**{count}** votes · {share}")
DISCORD_PRODUCT_LINK = N_("Product page")
DISCORD_STOPPING = N_(
    "The shop's bot is restarting and nothing was changed. Please click again in a minute."
)
# Slash command descriptions (at most 100 characters each)
DISCORD_CMD_GROUP = N_("The shop's product polls (staff only)")
DISCORD_CMD_LIST = N_("List the polls with their state and vote counts")
DISCORD_CMD_RESULTS = N_("Show a poll's current results")
DISCORD_CMD_OPEN = N_("Open a poll now and post it")
DISCORD_CMD_CLOSE = N_("Close a poll now and post its results")
DISCORD_CMD_POLL_ARG = N_("The poll id, as in the config (e.g. spring-helmets)")
# Slash command names: lowercase, no spaces, at most 32 characters (Discord's rule)
DISCORD_CMD_GROUP_NAME = C_("slash command", "poll")
DISCORD_CMD_LIST_NAME = C_("slash command", "list")
DISCORD_CMD_RESULTS_NAME = C_("slash command", "results")
DISCORD_CMD_OPEN_NAME = C_("slash command", "open")
DISCORD_CMD_CLOSE_NAME = C_("slash command", "close")
DISCORD_CMD_POLL_ARG_NAME = C_("slash command", "poll")


VOTES = P_("{count} vote", "{count} votes")
CUSTOMERS = P_("{count} customer", "{count} customers")
OPTIONS = P_("{count} option", "{count} options")
VOTERS = P_("{count} voter", "{count} voters")


def votes(count: int) -> str:
    return VOTES.format(count)


def customers(count: int) -> str:
    return CUSTOMERS.format(count)


def options(count: int) -> str:
    return OPTIONS.format(count)


# -- Discord: short product link, used when a poll's text would exceed Discord's limit ----
DISCORD_PRODUCT_LINK_SHORT = N_("View")


# -- Web dashboard and API (bot/web; the pages' own words are in bot/web/templates) ------
WEB_STATE_NAMES = {
    "scheduled": N_("Scheduled"),
    "open": N_("Open"),
    "closed": N_("Closed"),
}
WEB_VERDICT_NAMES = {
    "clear_winner": N_("Clear winner"),
    "leaning": N_("Leaning"),
    "too_close": N_("Too close to call"),
    "not_enough_votes": N_("Not enough votes yet"),
}
WEB_NO_CLOSING_TIME = N_("no closing time")
WEB_CLOSING_NOW = N_("closing now")
WEB_LEFT_DAYS = P_("{count} day {hours} h left", "{count} days {hours} h left")
WEB_LEFT_HOURS = N_("{hours} h {minutes} min left")
WEB_LEFT_MINUTES = N_("{minutes} min left")
WEB_CLOSED_AT = N_("closed {when}")
WEB_NOT_OPEN_YET = N_("not open yet")
WEB_LEADER = N_("{label} ({share})")
WEB_TIE = N_("tie: {labels}")
WEB_RUN_KINDS = {
    "prompt": N_("Prompt"),
    "poll_open": N_("Poll opens"),
    "poll_close": N_("Poll closes"),
}
WEB_INTERNAL_ERROR = N_("Something went wrong on our side; the details are in the bot's log.")
WEB_TOKEN_NEEDED = N_("Sign in first: send the header 'Authorization: Bearer <token>'.")
WEB_BAD_TOKEN = N_("That token is not right.")
WEB_BAD_CSRF = N_("This form has expired; reload the page and try again.")
WEB_TOO_MANY_TRIES = N_("Too many wrong tokens; try again in {seconds} s.")
WEB_NO_TOKEN_SET = N_(
    "This dashboard has no token: use the sign-in link the bot printed when it started "
    "(restart the bot for a new one), or set ENGAGEBOT_WEB_TOKEN."
)
WEB_LINK_USED = N_(
    "That sign-in link was already used or has expired; restart the bot for a new one."
)
WEB_BAD_DAYS = N_("days must be a whole number from 1 to 366")
WEB_BAD_DATE = N_("{name} must be a date like 2026-03-01")
WEB_DATES_REVERSED = N_("since is after until")
WEB_SIGNED_OUT = N_("You are signed out.")
WEB_ACTION_UNKNOWN = N_("Unknown action: use open or close.")
WEB_GREETING = N_("Dashboard: {url}")
WEB_GREETING_LINK = N_("Dashboard: {url} — sign in once with {link}")
WEB_CANNOT_LISTEN = N_(
    "Dashboard not started: cannot listen on {host}:{port} ({reason}); "
    "choose another port under web: in the config"
)
