"""WeCom (企业微信) self-built app channel: callback verification, decryption, replies."""
