"""The read side: what pages, commands and exports show. Functions take a connection and
the *viewer's* member id where visibility matters; they never write."""
