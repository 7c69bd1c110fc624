"""Pictures, files and locations sent to the bot (留痕): platform download, content checks,
thumbnails, the background download queue."""
