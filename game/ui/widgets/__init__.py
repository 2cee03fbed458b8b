"""Small drawing pieces shared by the scenes."""
