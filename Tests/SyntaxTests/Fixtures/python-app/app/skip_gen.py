def skipped_generated():
    pass
