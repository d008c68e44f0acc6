"""Product polls: vote rules, lifecycle, tallies and rendering to neutral content."""
