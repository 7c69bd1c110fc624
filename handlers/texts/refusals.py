"""Replies when a command is used by someone its table entry does not allow, or in the wrong
kind of chat (handlers.commands.Allow). `{id}` is the item number of the command."""

LEADERS_TAKE = "只有领导可以包保问题。"
HEADS_BIND = "只有单位负责人或领导可以绑定群。"
HEADS_UNPUBLISH = "只有问题所属单位的负责人或领导可以设置不公示。"
CONSOLE_ROLES = "只有领导、单位负责人和管理员可以进入后台。"
EXPORT_ROLES = "只有领导、单位负责人和管理员可以导出台账。"
GROUP_BIND = "请在要接收简报的群里发送「绑定 单位名」。"
PRIVATE_CONSOLE = "后台链接含个人信息，请私聊我发送「后台」。"
PRIVATE_EXPORT = "台账含个人信息，请私聊我发送「导出台账」。"
PRIVATE_RATING_LINK = "回访链接只发给提出问题的本人，请私聊我发送「回访链接 #{id}」。"
