"""The screens of the terminal UI: home, interview, feedback, summary, history, packs and a pack, help, dialogs."""
