"""vonage"""
