"""Secrets shaped like real ones (validate checks their shape), and obviously fake."""

DISCORD_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB"
SLACK_BOT_TOKEN = "xoxb-1111-2222-fakebottoken"
SLACK_APP_TOKEN = "xapp-1-A111-2222-fakeapptoken"
