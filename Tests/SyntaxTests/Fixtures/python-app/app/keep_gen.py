def kept_generated():
    pass
