"""User-visible texts of the channel layer (everything conversational lives in handlers)."""

NOT_TEXT = "请发送文字消息：走访情况、问题或指令都可以直接打字发给我。"
FROM_VOICE = "（以下按语音转写的文字处理）"
NOT_HANDLED = "抱歉，系统暂时出错了，请稍后再发一次。"  # the dispatcher itself failed: nothing stored
FILE_READY = "文件已生成：{name}（请在电脑端查看）"
