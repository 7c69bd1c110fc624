"""DingTalk (钉钉) enterprise robot channel: HTTP callback and Stream mode."""
