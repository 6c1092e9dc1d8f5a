"""NPC threads: memory that is scoped per player and per scene, state, actions, templates.

``threads`` owns the resources (threads, messages, state, actions, groups), ``conversation``
turns a chat completion into a turn of a thread (prepare the prompt, commit both sides),
``turn`` runs the model for one turn (repairs tool calls, keeps the NPC in character).
"""
