// The example's schema: users who sign up themselves, their todos, and an activity log the
// afterCommit hook writes. Apply with `forgebase migrate up` (`npm run example:todos` does).
const OWNER = 'owner = @request.auth.id';

export default {
  async up({ collections }) {
    await collections.import([
      {
        id: 'todos_users',
        name: 'users',
        type: 'auth',
        createRule: '',
        listRule: 'id = @request.auth.id',
        viewRule: 'id = @request.auth.id',
        updateRule: 'id = @request.auth.id',
        deleteRule: 'id = @request.auth.id',
        fields: [{ name: 'name', type: 'text', max: 100 }],
      },
      {
        id: 'todos_todos',
        name: 'todos',
        type: 'base',
        // the beforeCreate hook sets owner to the caller, so the rule holds for every create
        createRule: `@request.auth.id != '' && ${OWNER}`,
        listRule: OWNER,
        viewRule: OWNER,
        updateRule: OWNER,
        deleteRule: OWNER,
        fields: [
          { name: 'title', type: 'text', required: true, max: 200 },
          { name: 'done', type: 'bool' },
          { name: 'owner', type: 'relation', collectionId: 'todos_users', maxSelect: 1, cascadeDelete: true },
          { name: 'created', type: 'autodate', onCreate: true, onUpdate: false },
          { name: 'updated', type: 'autodate', onCreate: true, onUpdate: true },
        ],
      },
      {
        id: 'todos_activity',
        name: 'activity',
        type: 'base',
        // superusers only: written by the hook as the system
        fields: [
          { name: 'todo', type: 'text' },
          { name: 'note', type: 'text' },
          { name: 'created', type: 'autodate', onCreate: true, onUpdate: false },
        ],
      },
    ]);
  },

  async down({ collections }) {
    for (const name of ['activity', 'todos', 'users']) await collections.delete(name);
  },
};
